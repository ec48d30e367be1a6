// Loads the package named by $NPM_DEP, installed from the test's own registry.
module.exports = {
  handler: (event, context) => require(process.env.NPM_DEP).greeting,
};
