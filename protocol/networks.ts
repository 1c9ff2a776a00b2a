/**
 * Which protocol global ids name public TON networks. The global id is the Registry's init
 * parameter; it goes into every REPORTDATA, request binding and receipt, so a quote, a sealed
 * request or a receipt made for one network is worthless on another.
 *
 * A development trust root (attestation/devQuote.ts) makes quotes anyone can produce, so clients
 * refuse it for a public network's id (sdk/attestation.ts); dev networks use DEV_GLOBAL_ID instead.
 */

/** TON's public networks, by the global id of their config param 19. */
export const PUBLIC_TON_GLOBAL_IDS = { mainnet: -239, testnet: -3 } as const;

export function isPublicTonNetwork(globalId: number): boolean {
    return globalId === PUBLIC_TON_GLOBAL_IDS.mainnet || globalId === PUBLIC_TON_GLOBAL_IDS.testnet;
}

/**
 * The protocol global id of local development networks (the demo, the tests, and a runner started
 * without --global-id). 0x4445564E is "DEVN" in ASCII, so it reads as such in a hex dump of
 * REPORTDATA or a receipt; it is positive, far from every TON network id (public ones and the usual
 * local ones are small negatives), and a valid int32. A runner that forgets --global-id on a public
 * network therefore attests for a network no client there accepts (report_data_mismatch), rather
 * than for mainnet. It need not equal the devnet chain's own id: no wallet or chain rule reads it.
 */
export const DEV_GLOBAL_ID = 0x4445564e;
