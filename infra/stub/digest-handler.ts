/**
 * STUB: the placeholder handler of the daily-digest functions until issue 4's
 * handlers land (see `infra/daily-digest-workflow.ts`). It fails on purpose:
 * a stack deployed before integration alerts the admin instead of pretending
 * a digest was sent.
 */
export const handler = async (): Promise<never> => {
  throw new Error(
    'daily-digest handlers are not integrated yet (infra/stub, issue 4)',
  );
};
