// The registration form as a browser uses it: GET for the CSRF cookie and token, then POST.

/** Loads the registration form like a browser and returns a submit function bound to its cookie and CSRF token. */
export async function openForm(baseUrl: string, path: string) {
  const res = await fetch(new URL(path, baseUrl));
  const html = await res.text();
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
  const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
  return async (fields: Record<string, string>) => {
    const r = await fetch(new URL(path, baseUrl), {
      method: "POST", redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie },
      body: new URLSearchParams({ csrf, ...fields }),
    });
    return { status: r.status, body: await r.text() };
  };
}
