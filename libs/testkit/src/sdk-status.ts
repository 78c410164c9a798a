/** The HTTP status of an Ory SDK (axios) call that failed, or 'ok' when it succeeded. */
export async function sdkStatusOf(call: Promise<unknown>): Promise<number | 'ok'> {
  try {
    await call;
    return 'ok';
  } catch (error) {
    const response = (error as { response?: { status: number } }).response;
    if (!response) throw error;
    return response.status;
  }
}
