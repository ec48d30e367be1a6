// Reports what Express's request (event.extensions.request) tells about the call.
module.exports = {
  handler: (event, context) => {
    const req = event.extensions.request;
    const body = req.body;
    return {
      data: event.data,
      method: req.method,
      url: req.url,
      originalUrl: req.originalUrl,
      path: req.path,
      query: req.query,
      params: req.params,
      get: req.get('X-Order-Id'),
      header: req.header('x-order-id'),
      isJson: req.is('application/json'),
      isMultipart: req.is('multipart/*'),
      accepts: req.accepts(['text/html', 'application/json']),
      acceptsLanguages: req.acceptsLanguages('de', 'en'),
      hasCookies: req.cookies !== undefined,
      cookieHeader: req.get('Cookie'),
      ip: req.ip,
      hostname: req.hostname,
      protocol: req.protocol,
      secure: req.secure,
      xhr: req.xhr,
      body: Buffer.isBuffer(body) ? { buffer: body.toString('utf8') } : body,
      sameResponse: req.res === event.extensions.response,
    };
  },
};
