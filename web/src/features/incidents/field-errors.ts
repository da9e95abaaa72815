// Splits a server error into the form field it names: the server's validation messages start
// with the field's path ("threshold: must be in (0, 1]", "assignee: no user named ...",
// "steps[0].argv: ..."). Messages about no known field stay form-level.
import type { ApiError } from '../../api/errors';

export interface FieldErrors {
  /** field name → the server's message for it */
  byField: Record<string, string>;
  /** an error that names none of the fields */
  form: ApiError | null;
}

export function fieldErrors(error: ApiError | null, fields: string[]): FieldErrors {
  if (!error) return { byField: {}, form: null };
  if (error.code === 'BAD_REQUEST' || error.code === 'UNPROCESSABLE_CONTENT') {
    const m = /^(?:input\.)?([A-Za-z_][A-Za-z0-9_]*)(?:[.[][^:]*)?:\s*(.+)$/s.exec(error.message);
    if (m && m[1] && fields.includes(m[1]))
      return { byField: { [m[1]]: error.message }, form: null };
  }
  return { byField: {}, form: error };
}
