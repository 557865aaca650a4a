// Run by an older Node in the scratch project: every package must refuse to load, naming both versions.
const results = {};
for (const name of ['core', 'local', 'aws', 'gcp', 'azure']) {
  try {
    await import(`@cloudmux/${name}`);
    results[name] = 'imported';
  } catch (error) {
    results[name] =
      error.name === 'UnsupportedNodeError' && error.code === 'Unsupported'
        ? 'refused'
        : `${error.name}: ${error.message}`;
  }
}
console.log(JSON.stringify(results));
