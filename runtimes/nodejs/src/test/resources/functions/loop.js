const fs = require('fs');
const path = require('path');

const ticks = path.join(process.env.KUBELESS_INSTALL_VOLUME, 'ticks');

module.exports = {
  handler: (event, context) => {
    if (event.data !== 'spin') return 'ok';
    for (let n = 1; ; n++) { // runs until the runtime stops it
      if (n % 10000000 === 0) fs.writeFileSync(ticks, String(n));
    }
  },
};
