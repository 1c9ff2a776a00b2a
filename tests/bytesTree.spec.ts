import fc from 'fast-check';
import { bytesToTree, treeToBytes } from '../protocol/bytesTree';

function depth(cell: import('@ton/core').Cell): number {
    return 1 + Math.max(0, ...cell.refs.map(depth));
}

describe('byte trees', () => {
    it('round-trips any byte string', () => {
        fc.assert(
            fc.property(fc.uint8Array({ maxLength: 5000 }), (data) => {
                expect(treeToBytes(bytesToTree(data)).equals(Buffer.from(data))).toBe(true);
            }),
        );
    });

    it('keeps a 64 KB payload shallow', () => {
        const tree = bytesToTree(Buffer.alloc(64 * 1024, 7));
        expect(depth(tree)).toBeLessThanOrEqual(6);
        expect(treeToBytes(tree).length).toBe(64 * 1024);
    });
});
