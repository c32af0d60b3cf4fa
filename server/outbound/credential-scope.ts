/**
 * A stored credential (a target's bearer token or password, a channel's signing secret)
 * belongs to the origin it was given for. When an edit moves the URL to another scheme,
 * host or port and does not give the credential again, the credential is dropped, so an
 * edit (or a forged one) can never send it to a host of someone else's choosing.
 */
export function keepsCredential(storedUrl: string, newUrl: string | undefined): boolean {
  if (newUrl === undefined) return true;
  try {
    return new URL(storedUrl).origin === new URL(newUrl).origin;
  } catch {
    return false;
  }
}
