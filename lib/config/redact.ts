/** Secrets never reach logs, errors or progress lines: every URL printed goes through here. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    for (const key of [...u.searchParams.keys()]) {
      if (/pass|secret|token|key/i.test(key)) u.searchParams.set(key, '***');
    }
    return u.toString();
  } catch {
    // Not a URL we can take apart: hide anything between "://user:" and "@".
    return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
  }
}

/**
 * `text` (an error message, say) with the database URL's password and the URL itself made safe to print:
 * a connection error can carry either.
 */
export function redactSecrets(text: string, databaseUrl: string): string {
  const password = safePassword(databaseUrl);
  const masked = password ? text.split(password).join('***') : text;
  return masked.replaceAll(databaseUrl, redactUrl(databaseUrl));
}

function safePassword(url: string): string | undefined {
  try {
    const p = decodeURIComponent(new URL(url).password);
    // Short passwords would match ordinary words in messages; the URL itself is replaced anyway.
    return p.length >= 8 ? p : undefined;
  } catch {
    return undefined;
  }
}
