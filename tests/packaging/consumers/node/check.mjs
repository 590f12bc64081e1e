// What server-side rendering sees of natter-widget: shared by the ES module
// and CommonJS checks, which print the result as JSON.
export async function describePackage(pkg) {
  const before = Object.keys(globalThis).sort();
  const api = pkg.default;
  const named = Object.keys(pkg).filter((k) => k !== 'default' && k !== '__esModule').sort();
  // Commands outside a browser do nothing and throw nothing.
  pkg.open();
  pkg.identify({ externalUserId: 'u_1' });
  for (const subscribe of [pkg.on, pkg.once]) {
    const unsubscribe = subscribe('message', () => {});
    unsubscribe();
  }
  let rejection = null;
  try {
    await pkg.init({ appKey: 'sk_test' });
  } catch (err) {
    rejection = { code: err.code, message: err.message };
  }
  return {
    named,
    defaultKeys: Object.keys(api).sort(),
    version: pkg.version,
    rejection,
    newGlobals: Object.keys(globalThis).filter((k) => !before.includes(k)),
  };
}
