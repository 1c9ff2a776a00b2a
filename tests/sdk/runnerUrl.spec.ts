// The form check of a runner URL read from chain (protocol/runnerUrl.ts), shared by the SDK, the
// relayer and the CLI: a plain http(s) base URL, nothing that changes where or what is called.
import { checkRunnerUrl, MAX_RUNNER_URL_BYTES } from '../../sdk';

describe('checkRunnerUrl', () => {
    it.each([
        ['https://runner.example.org', 'https://runner.example.org'],
        ['http://127.0.0.1:8700/', 'http://127.0.0.1:8700'],
        ['https://gpu.example/cocoon/runner-1//', 'https://gpu.example/cocoon/runner-1'],
        ['HTTPS://Runner.Example:443', 'https://runner.example'],
    ])('accepts %s as %s', (raw, base) => {
        expect(checkRunnerUrl(raw)).toBe(base);
    });

    it.each([
        ['', 'does not parse'],
        ['runner.example:8700', 'is not http(s)'],
        ['file:///etc/passwd', 'is not http(s)'],
        ['javascript:alert(1)', 'is not http(s)'],
        ['https://user:pw@runner.example', 'carries credentials'],
        ['https://user@runner.example', 'carries credentials'],
        ['https://runner.example/?redirect=http://10.0.0.1', 'has a query or fragment'],
        ['https://runner.example/#x', 'has a query or fragment'],
        ['https://runner.example/?', 'has a query or fragment'],
        ['https://r.example/' + 'a'.repeat(MAX_RUNNER_URL_BYTES), `longer than ${MAX_RUNNER_URL_BYTES} bytes`],
    ])('refuses %p (%s)', (raw, why) => {
        const r = checkRunnerUrl(raw);
        expect(r).toBeInstanceOf(Error);
        expect((r as Error).message).toContain(why);
    });
});
