// What the package must do on every runtime it claims, against the emulator at `url`: sign
// in, refuse a mistyped option before sending anything, report a redirect as REDIRECT and
// name the server in its errors. Plain JavaScript with no imports, so that node, Deno, Bun
// and workerd run the same checks (login.mjs, login.cjs, worker.mjs hand them the package).
export async function checks({ PlexPinClient, PlexPinError }, url) {
  const check = (ok, what) => {
    if (!ok) throw new Error(`check failed: ${what}`);
  };
  const control = async (route, body) => {
    const response = await fetch(`${url}/emulator/${route}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    return response.json();
  };
  const options = {
    product: 'plex-pin runtime test', baseUrl: url, authAppUrl: `${url}/auth`, pollIntervalMs: 50,
  };

  const plex = new PlexPinClient(options);
  const token = await plex.login({ onPin: (pin) => control('approve', { id: pin.id }) });
  const user = await plex.user(token);
  check(user.displayName === 'Emulated User', `the account: ${JSON.stringify(user)}`);

  const typo = new PlexPinClient(options);
  const refused = await typo.login({ singal: AbortSignal.abort() }).catch((e) => e);
  check(refused instanceof PlexPinError && refused.code === 'INVALID_OPTIONS', `a typo: ${refused}`);
  const sent = await control('stats', { client: typo.clientId });
  check(sent.requests.length === 0, `nothing sent after a typo: ${JSON.stringify(sent.requests)}`);

  const redirected = new PlexPinClient({ ...options, loginTimeoutMs: 5000 });
  await control('fault', { client: redirected.clientId, route: 'create', fault: 'redirect' });
  const redirect = await redirected.login().catch((e) => e);
  check(redirect.code === 'REDIRECT', `a redirect: ${redirect.code} ${redirect.message}`);

  const unauthorized = await plex.user('not-a-real-token').catch((e) => e);
  const host = new URL(url).host;
  check(unauthorized.code === 'UNAUTHORIZED' && unauthorized.status === 401, `a bad token: ${unauthorized}`);
  check(unauthorized.message.includes(host) && !unauthorized.message.includes('plex.tv'),
    `the error names ${host}: ${unauthorized.message}`);
  return `signed in as ${user.displayName}`;
}
