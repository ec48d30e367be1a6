// Parses a multipart upload with multer (installed from npm by the test), as Kubeless's
// hello-multipart example does: the middleware reads event.extensions.request as a stream.
const multer = require('multer');

const upload = multer({ storage: multer.memoryStorage() });

module.exports = {
  handler: (event, context) => new Promise((resolve, reject) => {
    const req = event.extensions.request;
    if (!req.is('multipart/*')) {
      resolve('not multipart');
      return;
    }
    upload.single('file')(req, {}, (err) => {
      if (err) {
        reject(err);
        return;
      }
      const file = req.file;
      resolve({
        fields: { ...req.body },
        dataWasEmptyObject: typeof event.data === 'object' && !Buffer.isBuffer(event.data),
        name: file.originalname,
        type: file.mimetype,
        size: file.size,
        head: file.buffer.subarray(0, 16).toString('utf8'),
        tail: file.buffer.subarray(file.size - 16).toString('utf8'),
      });
    });
  }),
};
