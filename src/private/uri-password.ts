/**
 * The password of a connection URI, as an External Secrets (template engine v2) Go template over the
 * Secret's `password` key. `urlquery` is Go's `url.QueryEscape` (text/template's `URLQueryEscaper`),
 * which writes a space as `+`: in a URI's userinfo `+` is a literal plus (libpq, Node's `URL`, Python's
 * `urlsplit` decode only `%XX`), so a password with a space would not log in. A `+` of the password
 * itself is `%2B` by then, so every `+` left is a space: sprig's `replace` (in ESO's template functions,
 * runtime/template/v2/sprig) makes it `%20`.
 */
export const URI_PASSWORD_TEMPLATE = '{{ .password | urlquery | replace "+" "%20" }}';
