// Module hooks for the loaded-clients probe: every module the process loads (ES modules included,
// which `require.cache` never lists) is reported on the port the probe hands over.
let port;

export function initialize(data) {
  port = data.port;
  // A `flush` is answered after every load reported before it (one port keeps its order).
  port.on('message', (m) => {
    if (m === 'flush') port.postMessage('flushed');
  });
}

export async function load(url, context, next) {
  port.postMessage(url);
  return next(url, context);
}
