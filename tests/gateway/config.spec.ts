// The gateway's configuration as parsed from flags and environment (no network needed).
import { parseGatewayConfig } from '../../gateway/config';

const base = { endpoint: 'http://127.0.0.1:1/jsonRPC', registry: 'EQBzKQXEMymiggWuqpIK3Ui8nrtOwdh-G8upjHRAE_aA8ZUF' };

describe('gateway: configuration', () => {
    it('ATTACK (issue 11 #9 reproduction): COCOON_VERIFY_QUOTE=0 turns quote verification off', () => {
        expect(parseGatewayConfig(base, { COCOON_VERIFY_QUOTE: '0' }).verifyQuote).toBe(false);
    });
});
