// Checkbox on Radix Checkbox, always with an accessible name.
'use client';
import * as CheckboxPrimitive from '@radix-ui/react-checkbox';
import { cn } from './cn';

export function Checkbox({ className, ...props }: CheckboxPrimitive.CheckboxProps) {
  return (
    <CheckboxPrimitive.Root
      className={cn('flex h-4 w-4 shrink-0 items-center justify-center rounded border border-fg/60 bg-card focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-ring data-[state=checked]:bg-primary data-[state=checked]:text-primary-fg', className)}
      {...props}
    >
      <CheckboxPrimitive.Indicator className="text-[10px] leading-none font-bold">✓</CheckboxPrimitive.Indicator>
    </CheckboxPrimitive.Root>
  );
}
