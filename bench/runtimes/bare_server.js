'use strict';
// A bare hello-world server on node:http: the Node.js runtime's own server library.
require('node:http')
  .createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 11 });
      res.end('hello world');
    });
  })
  .listen(Number(process.env.FUNC_PORT || '8080'));
