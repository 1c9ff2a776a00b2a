/** Dev certificates always parse: DER INTEGERs (serial numbers) must be minimally encoded. */
import { generateKeyPairSync } from 'node:crypto';
import { createCertificate } from '../../attestation/devCertificates';

it('creates 2,000 certificates that all parse, whatever random serial they draw', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    for (let i = 0; i < 2000; i++) {
        const cert = createCertificate({ subjectCn: 'leaf', issuerCn: 'root', subjectKey: publicKey, issuerKey: privateKey, isCa: false, validDays: 1 });
        expect(cert.verify(publicKey)).toBe(true);
    }
});
