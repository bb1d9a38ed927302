// Toasts on Radix Toast: useToast().show('Saved') from anywhere under <Toaster>.
'use client';
import * as ToastPrimitive from '@radix-ui/react-toast';
import { createContext, useCallback, useContext, useState, type ReactNode } from 'react';
import { cn } from './cn';

interface ToastItem {
  id: number;
  message: string;
  tone: 'success' | 'error';
}
const ToastContext = createContext<{ show(message: string, tone?: ToastItem['tone']): void }>({ show: () => {} });

export function useToast() {
  return useContext(ToastContext);
}

let nextId = 1;

export function Toaster({ children }: { children: ReactNode }) {
  const [items, setItems] = useState<ToastItem[]>([]);
  const show = useCallback((message: string, tone: ToastItem['tone'] = 'success') => {
    setItems((list) => [...list.slice(-3), { id: nextId++, message, tone }]);
  }, []);
  return (
    <ToastContext.Provider value={{ show }}>
      <ToastPrimitive.Provider swipeDirection="right" duration={5000}>
        {children}
        {items.map((t) => (
          <ToastPrimitive.Root
            key={t.id}
            type={t.tone === 'error' ? 'foreground' : 'background'}
            onOpenChange={(open) => {
              if (!open) setItems((list) => list.filter((x) => x.id !== t.id));
            }}
            className={cn('flex items-start gap-3 rounded-md border bg-card px-4 py-3 text-sm text-fg shadow-lg', t.tone === 'error' ? 'border-danger' : 'border-border')}
          >
            <ToastPrimitive.Description className="flex-1">{t.message}</ToastPrimitive.Description>
            <ToastPrimitive.Close aria-label="Dismiss" className="rounded px-1 text-muted-fg hover:text-fg focus-visible:outline-2 focus-visible:outline-ring">
              ×
            </ToastPrimitive.Close>
          </ToastPrimitive.Root>
        ))}
        <ToastPrimitive.Viewport className="fixed right-4 bottom-4 z-[60] flex w-80 flex-col gap-2 outline-none" />
      </ToastPrimitive.Provider>
    </ToastContext.Provider>
  );
}
