import { type InputHTMLAttributes, type ReactNode, useId } from 'react';

/** The ids and ARIA wiring a labelled control needs. */
export interface ControlProps {
  id: string;
  'aria-invalid': true | undefined;
  'aria-describedby': string | undefined;
}

interface FormFieldProps {
  label: ReactNode;
  error?: string | undefined;
  hint?: ReactNode;
  className?: string;
  children: (control: ControlProps) => ReactNode;
}

/**
 * A label, a control, an optional hint and the field's error right under it. The error is tied
 * to the control with `aria-describedby` and `aria-invalid`, so it is read out with the field.
 */
export function FormField({ label, error, hint, className, children }: FormFieldProps) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={['field', error ? 'field--invalid' : '', className ?? ''].join(' ').trim()}>
      <label className="field__label" htmlFor={id}>
        {label}
      </label>
      {children({ id, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy })}
      {error && (
        <p id={errorId} className="field__error">
          {error}
        </p>
      )}
      {hint && (
        <p id={hintId} className="field__hint">
          {hint}
        </p>
      )}
    </div>
  );
}

type TextFieldProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'id'> & {
  label: ReactNode;
  error?: string | undefined;
  hint?: ReactNode;
  fieldClassName?: string;
};

/** A labelled `<input>` with its error. */
export function TextField({ label, error, hint, fieldClassName, ...input }: TextFieldProps) {
  return (
    <FormField label={label} error={error} hint={hint} className={fieldClassName}>
      {(control) => <input className="input" {...input} {...control} />}
    </FormField>
  );
}
