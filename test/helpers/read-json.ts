/** Response bodies in tests are checked field by field by the assertions that read them. */
// biome-ignore lint/suspicious/noExplicitAny: the assertions are the type check
export async function readJson(res: Response): Promise<any> {
  return res.json();
}
