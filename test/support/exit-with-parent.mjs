// Preloaded into the child apps of the tests (see child-app.ts): their stdin is a pipe from the
// test process, which closes when that process ends for any reason (even SIGKILL or a worker torn
// down mid-test), so a child never outlives the test run that started it.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
