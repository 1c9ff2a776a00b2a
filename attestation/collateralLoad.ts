/**
 * Loads collateral from disk: a dcap-qvl collateral JSON file, or a directory holding Intel PCS
 * files recognised by name: *tcbinfo*.json, *qeidentity*.json, *pckcrl*.der, *rootcrl*.der and an
 * optional *.pem TCB Signing chain (or a *.collateral.json, whose parts the PCS files override).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Collateral, collateralFromDcapJson, signedJsonFromPcsBody } from './collateral';

export function loadCollateral(path: string): Collateral {
    if (!statSync(path).isDirectory()) return collateralFromDcapJson(readFileSync(path, 'utf8'));
    const files = readdirSync(path);
    const one = (test: (f: string) => boolean, what: string): string | undefined => {
        const hits = files.filter(test);
        if (hits.length > 1) throw new Error(`collateral directory ${path} holds several ${what} files: ${hits.join(', ')}`);
        return hits[0] && join(path, hits[0]);
    };
    const lower = (f: string) => f.toLowerCase();
    const dcap = one((f) => lower(f).endsWith('.collateral.json'), 'collateral JSON');
    const tcbInfo = one((f) => lower(f).includes('tcbinfo') && lower(f).endsWith('.json'), 'TCB info');
    const qeIdentity = one((f) => lower(f).includes('qeidentity') && lower(f).endsWith('.json'), 'QE identity');
    const pckCrl = one((f) => lower(f).includes('pckcrl'), 'PCK CRL');
    const rootCrl = one((f) => lower(f).includes('rootcrl'), 'root CRL');
    const chain = one((f) => lower(f).endsWith('.pem'), 'PEM chain');

    const base: Collateral = dcap ? collateralFromDcapJson(readFileSync(dcap, 'utf8')) : {};
    return {
        ...base,
        ...(tcbInfo && { tcbInfo: signedJsonFromPcsBody(readFileSync(tcbInfo, 'utf8'), 'tcbInfo') }),
        ...(qeIdentity && { qeIdentity: signedJsonFromPcsBody(readFileSync(qeIdentity, 'utf8'), 'enclaveIdentity') }),
        ...(pckCrl && { pckCrl: new Uint8Array(readFileSync(pckCrl)) }),
        ...(rootCrl && { rootCaCrl: new Uint8Array(readFileSync(rootCrl)) }),
        ...(chain && { tcbSigningChainPem: readFileSync(chain, 'utf8') }),
    };
}
