import { type QueryKey, useMutation, useQueryClient } from '@tanstack/react-query';
import { isApiError } from '../api/http.ts';
import { sentence } from '../lib/format.ts';
import { describeError } from './feedback.tsx';

/**
 * A form that saves one resource: on success the answer replaces the cached copy under `key` and
 * the form closes. A field the API rejected gets its message under that field; any other problem
 * is one general notice.
 */
export function useEditForm<Body, Saved>(o: { save: (body: Body) => Promise<Saved>; key: QueryKey; onDone: () => void }) {
  const queryClient = useQueryClient();
  const mutation = useMutation({
    mutationFn: o.save,
    onSuccess: (saved) => {
      queryClient.setQueryData(o.key, saved);
      o.onDone();
    },
  });
  const error = mutation.error;
  const fieldError = (field: string) => {
    const message = isApiError(error) ? error.fields[field] : undefined;
    return message ? sentence(message) : undefined;
  };
  const general = error && !(isApiError(error) && Object.keys(error.fields).length > 0) ? describeError(error) : null;
  return { save: mutation.mutate, saving: mutation.isPending, fieldError, general };
}

/** Save and Cancel at the foot of an edit form. */
export function EditFormActions({ saving, saveLabel, onCancel }: { saving: boolean; saveLabel: string; onCancel: () => void }) {
  return (
    <div className="row">
      <button type="submit" className="button" disabled={saving}>
        {saving ? 'Saving…' : saveLabel}
      </button>
      <button type="button" className="button button--ghost" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}
