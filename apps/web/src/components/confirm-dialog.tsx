import { type ReactNode, useEffect, useRef, useState } from 'react';

/** Whether a confirmation dialog is open, and how to open and close it. */
export interface DialogState {
  open: boolean;
  show: () => void;
  close: () => void;
}

/** The open state of one confirmation dialog; closed to begin with. */
export function useDialog(): DialogState {
  const [open, setOpen] = useState(false);
  return { open, show: () => setOpen(true), close: () => setOpen(false) };
}

interface ConfirmDialogProps {
  dialog: Pick<DialogState, 'open' | 'close'>;
  /** What confirming runs; while it is pending the button is disabled and reads `busyLabel`. */
  action: { mutate: () => void; isPending: boolean };
  title: string;
  children: ReactNode;
  confirmLabel: string;
  busyLabel: string;
  cancelLabel?: string;
  danger?: boolean;
}

/**
 * A modal confirmation on the native `<dialog>`: it traps focus, closes on Escape and returns
 * focus to the button that opened it.
 */
export function ConfirmDialog({
  dialog: { open, close },
  action,
  title,
  children,
  confirmLabel,
  busyLabel,
  cancelLabel = 'Keep it',
  danger,
}: ConfirmDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog ref={ref} className="dialog" aria-labelledby="confirm-title" onClose={close}>
      <h2 id="confirm-title" className="dialog__title">
        {title}
      </h2>
      <div className="dialog__body">{children}</div>
      <div className="dialog__actions">
        <button type="button" className="button button--ghost" onClick={close}>
          {cancelLabel}
        </button>
        <button
          type="button"
          className={danger ? 'button button--danger' : 'button'}
          onClick={() => action.mutate()}
          disabled={action.isPending}
        >
          {action.isPending ? busyLabel : confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
