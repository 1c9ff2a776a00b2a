// A job nobody answers, seen through the openai client: 504 job_expired once the gateway's SDK has
// expired the job and collected the refund and compensation.
import OpenAI from 'openai';
import { REFERENCE_MODEL_NAME } from '../../protocol/defaults';
import type { Gateway } from '../../gateway/server';
import { startWorld, untilOpenJobs, World } from '../sdk/world';
import { gatewayFor } from './helpers';

describe('gateway: an expired job', () => {
    let w: World;
    let gateway: Gateway;
    let openai: OpenAI;
    beforeAll(async () => {
        w = await startWorld({ relayer: false });
        ({ gateway, openai } = await gatewayFor(w, { jobOptions: { ttl: 60 } }));
    });
    afterAll(async () => {
        await gateway.close();
        await w.stop();
    });

    it('answers 504 job_expired with the refund in the message, and is not retried by the client', async () => {
        const pending = openai.chat.completions.create({ model: REFERENCE_MODEL_NAME, messages: [{ role: 'user', content: 'anyone there' }] }).catch((e) => e);
        await untilOpenJobs(w, 1);
        await w.advance(61);
        const err = await pending;
        expect(err).toBeInstanceOf(OpenAI.APIError);
        expect(err).toMatchObject({ status: 504, code: 'job_expired', type: 'api_error' });
        expect(err.message).toMatch(/expired, refund \d+ nanotons including \d+ compensation/);
        // x-should-retry: false kept the client from paying for two more jobs.
        expect(err.headers.get('x-should-retry')).toBe('false');
        expect((await w.sdk.snapshot(true)).providers[0].reputation.expired).toBe(1);
    });
});
