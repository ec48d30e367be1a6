// Answers through event.extensions.response: status, headers, then `count` chunks of `size` bytes
// (query parameters) piped from a readable stream; the promise resolves once the stream ended, as
// in Kubeless's hellostream example, and its value is not the answer.
const { Readable } = require('stream');

module.exports = {
  handler: (event, context) => new Promise((resolve, reject) => {
    const { request, response } = event.extensions;
    const count = Number(request.query.count || '3');
    const size = Number(request.query.size || '6');
    let sent = 0;
    const source = new Readable({
      read() {
        if (sent === count) {
          this.push(null);
          return;
        }
        this.push(`${`chunk ${sent++} ${'.'.repeat(size)}`.slice(0, size - 1)}\n`);
      },
    });
    response.status(203);
    response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    response.set('X-Streamed-By', 'kubeless');
    source.on('error', reject);
    response.on('finish', () => resolve({ ignored: true }));
    source.pipe(response);
  }),
};
