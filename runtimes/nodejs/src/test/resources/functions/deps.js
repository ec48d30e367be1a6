const { shout } = require('kubeless-dep');

module.exports = {
  handler: (event, context) => shout('deps'),
};
