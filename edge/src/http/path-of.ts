/** The path of a request URL, without its query. */
export function pathOf(url: string | undefined): string {
  const text = url ?? '/';
  const query = text.indexOf('?');
  return query >= 0 ? text.slice(0, query) : text;
}
