/**
 * Reading a Step Functions failure: a state's error output is JSON text
 * (`{"Error": ..., "Cause": ...}`), and a Lambda's `Cause` is JSON again
 * (`{"errorType": ..., "errorMessage": ...}`).
 */

/**
 * The `Cause` of a Step Functions error output given as JSON text; a Lambda
 * cause is itself JSON (`errorMessage`...). Empty when there is none.
 */
export function causeOf(detail: string): string {
  const parse = (s: string): unknown => {
    try {
      return JSON.parse(s);
    } catch {
      return s;
    }
  };
  const outer = parse(detail);
  const cause =
    typeof outer === 'object' && outer !== null && 'Cause' in outer
      ? outer.Cause
      : null;
  if (typeof cause !== 'string') return '';
  const inner = parse(cause);
  if (
    typeof inner === 'object' &&
    inner !== null &&
    'errorMessage' in inner &&
    typeof inner.errorMessage === 'string'
  )
    return inner.errorMessage;
  return cause;
}
