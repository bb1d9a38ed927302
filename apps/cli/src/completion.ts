// Shell completion scripts for bash, zsh and fish, generated from the command tree so they
// always list the commands that exist.
import type { Command } from 'commander';

interface Node {
  path: string[];
  subcommands: string[];
  options: string[];
}

function walk(cmd: Command, path: string[], out: Node[]): void {
  out.push({ path, subcommands: cmd.commands.map((c) => c.name()), options: cmd.options.map((o) => o.long ?? o.short ?? '').filter(Boolean).concat('--help') });
  for (const sub of cmd.commands) walk(sub, [...path, sub.name()], out);
}

export function completionScript(program: Command, shell: string): string {
  const nodes: Node[] = [];
  walk(program, [], nodes);
  const name = program.name();
  if (shell === 'bash' || shell === 'zsh') {
    const cases = nodes.map((n) => `    "${n.path.join(' ')}") words="${[...n.subcommands, ...n.options].join(' ')}" ;;`).join('\n');
    const body = `_${name}_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" w i
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    case "$( _${name}_words "\${path:+$path }$w" )" in "") ;; *) path="\${path:+$path }$w" ;; esac
  done
  COMPREPLY=( $(compgen -W "$(_${name}_words "$path")" -- "$cur") )
}
_${name}_words() {
  local words=""
  case "$1" in
${cases}
  esac
  echo "$words"
}
complete -F _${name}_complete ${name}
`;
    return shell === 'zsh' ? `autoload -U +X bashcompinit && bashcompinit\n${body}` : body;
  }
  if (shell === 'fish') {
    const lines = [`complete -c ${name} -f`];
    for (const n of nodes) {
      const cond = n.path.length === 0 ? '__fish_use_subcommand' : `__fish_seen_subcommand_from ${n.path[n.path.length - 1]}`;
      for (const s of n.subcommands) lines.push(`complete -c ${name} -n '${cond}' -a ${s}`);
    }
    return `${lines.join('\n')}\n`;
  }
  throw new Error(`unknown shell ${shell}: bash, zsh or fish`);
}
