/**
 * Byte strings laid out as a tree of cells, for payloads and results that travel on-chain.
 *
 * A snake (each cell one ref to the next) of 64 KB would be ~520 cells deep, and the emulator
 * crashes past ~300; a tree keeps depth logarithmic. Layout (docs/SPEC.md, "Byte trees"): each cell
 * holds up to 127 data bytes and up to 4 child refs; bytes are read in pre-order (the cell's own
 * bytes, then each child's subtree from ref 0 to ref 3). A 64 KB tree is 4 levels deep.
 */
import { beginCell, Cell } from '@ton/core';

const BYTES_PER_CELL = 127;
const FANOUT = 4;

/** Cells needed for a subtree of the given depth (depth 1 = one leaf). */
function capacity(depth: number): number {
    let cells = 0;
    for (let d = 0, level = 1; d < depth; d++, level *= FANOUT) cells += level;
    return cells * BYTES_PER_CELL;
}

function build(bytes: Buffer, depth: number): Cell {
    const own = bytes.subarray(0, BYTES_PER_CELL);
    const b = beginCell().storeBuffer(own);
    let rest = bytes.subarray(own.length);
    const childCapacity = capacity(depth - 1);
    while (rest.length > 0) {
        const part = rest.subarray(0, childCapacity);
        b.storeRef(build(part, depth - 1));
        rest = rest.subarray(part.length);
    }
    return b.endCell();
}

export function bytesToTree(data: Uint8Array): Cell {
    const bytes = Buffer.from(data);
    let depth = 1;
    while (capacity(depth) < bytes.length) depth++;
    return build(bytes, depth);
}

export function treeToBytes(root: Cell): Buffer {
    const parts: Buffer[] = [];
    const walk = (cell: Cell) => {
        const s = cell.beginParse();
        if (s.remainingBits % 8 !== 0) throw new Error('byte tree: cell data is not whole bytes');
        parts.push(s.loadBuffer(s.remainingBits / 8));
        for (const ref of cell.refs) walk(ref);
    };
    walk(root);
    return Buffer.concat(parts);
}
