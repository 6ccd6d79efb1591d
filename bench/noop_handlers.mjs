// `make bench-worker`'s handlers for the TypeScript runner (`--runner node`): every job done at
// once with an empty result, as the Python runner's --no-op does.
const done = async () => ({});

export default { email: done, report: done, notification: done };
