// Menus on Radix DropdownMenu (keyboard navigable, typeahead).
'use client';
import * as Menu from '@radix-ui/react-dropdown-menu';
import { cn } from './cn';

export const DropdownMenu = Menu.Root;
export const DropdownMenuTrigger = Menu.Trigger;
export const DropdownMenuRadioGroup = Menu.RadioGroup;

export function DropdownMenuContent({ className, ...props }: Menu.DropdownMenuContentProps) {
  return (
    <Menu.Portal>
      <Menu.Content align="end" sideOffset={6} className={cn('z-50 min-w-48 rounded-md border border-border bg-card p-1 text-sm text-fg shadow-lg', className)} {...props} />
    </Menu.Portal>
  );
}

const item = 'flex cursor-pointer items-center gap-2 rounded px-2 py-1.5 outline-none select-none data-[highlighted]:bg-muted';

export function DropdownMenuItem({ className, ...props }: Menu.DropdownMenuItemProps) {
  return <Menu.Item className={cn(item, className)} {...props} />;
}

export function DropdownMenuRadioItem({ className, children, ...props }: Menu.DropdownMenuRadioItemProps) {
  return (
    <Menu.RadioItem className={cn(item, className)} {...props}>
      <span className="w-3">
        <Menu.ItemIndicator>•</Menu.ItemIndicator>
      </span>
      {children}
    </Menu.RadioItem>
  );
}

export function DropdownMenuLabel({ className, ...props }: Menu.DropdownMenuLabelProps) {
  return <Menu.Label className={cn('px-2 py-1.5 text-xs text-muted-fg', className)} {...props} />;
}

export function DropdownMenuSeparator() {
  return <Menu.Separator className="my-1 h-px bg-border" />;
}
