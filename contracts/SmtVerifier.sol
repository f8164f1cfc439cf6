// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title Membership and non-membership proofs of depin-chain's compressed sparse Merkle tree
/// @notice A line-by-line port of chain/store/proof.ts `verifyProof` over the binary encoding of
/// `encodeProof` (chain/store/README.md, "Binary encoding"). Everything is SHA-256 (precompile 0x02):
///   path     = sha256(key), bit i = bit (255 - i) of path read as a big-endian uint256
///   leaf     = sha256(0x00 ‖ keyHash ‖ valueHash)
///   internal = sha256(0x01 ‖ left ‖ right), an empty subtree is 32 zero bytes
/// Proof bytes: u16 depth ‖ bitmap (ceil(depth/8) bytes, bit i set iff sibling i is non-zero)
///   ‖ the non-zero siblings (32 bytes each, root side first) ‖ kind (0, or 1 + keyHash ‖ valueHash).
/// Only canonical encodings are accepted (as decodeProof): padding bits of the bitmap must be zero,
/// a listed sibling must be non-zero, no trailing bytes. Malformed proofs return false, never revert.
library SmtVerifier {
    /// True iff `proof` shows that `key` maps to `value` in the tree with root `root`.
    function verifyMembership(bytes32 root, bytes memory key, bytes memory value, bytes memory proof)
        internal
        view
        returns (bool)
    {
        bytes32 path = sha256(key);
        return _verify(root, path, _hash(0x00, path, sha256(value)), true, proof);
    }

    /// True iff `proof` shows that `key` is absent from the tree with root `root`.
    function verifyNonMembership(bytes32 root, bytes memory key, bytes memory proof) internal view returns (bool) {
        return _verify(root, sha256(key), bytes32(0), false, proof);
    }

    function _verify(bytes32 root, bytes32 path, bytes32 leaf, bool present, bytes memory proof)
        private
        view
        returns (bool)
    {
        uint256 len = proof.length;
        if (len < 3) return false;
        uint256 depth = (uint256(uint8(proof[0])) << 8) | uint256(uint8(proof[1]));
        if (depth > 256) return false;
        uint256 bitmapLen = (depth + 7) >> 3;
        if (len < 3 + bitmapLen) return false;

        // The bitmap as the top bits of one word (bit i of the proof = bit 255 - i of the word);
        // bytes read past the bitmap are masked off.
        uint256 bitmap;
        assembly ("memory-safe") {
            bitmap := mload(add(proof, 34))
        }
        bitmap = bitmapLen == 0 ? 0 : bitmap & ~(type(uint256).max >> (bitmapLen << 3));
        // Canonical: no bit at or past `depth` (the padding of the last byte). `>> 256` is 0.
        if (bitmap & (type(uint256).max >> depth) != 0) return false;

        uint256 kindPos = 2 + bitmapLen + 32 * _popcount(bitmap);
        if (kindPos >= len) return false;
        uint8 kind = uint8(proof[kindPos]);
        bytes32 h;
        if (kind == 0) {
            if (len != kindPos + 1) return false;
            h = leaf; // the key's own leaf, or zero: an empty slot
        } else if (kind == 1) {
            if (present || len != kindPos + 65) return false;
            bytes32 keyHash = _word(proof, kindPos + 1);
            bytes32 valueHash = _word(proof, kindPos + 33);
            // The key's own leaf passed off as "another" leaf would prove a present key absent.
            if (keyHash == path) return false;
            // The other leaf must share the first `depth` bits of the path: then it is the only
            // leaf of the subtree where the key would be. (depth 0: `>> 256` is 0.)
            if (uint256(keyHash ^ path) >> (256 - depth) != 0) return false;
            h = _hash(0x00, keyHash, valueHash);
        } else {
            return false;
        }

        (bool canonical, bytes32 top) = _fold(h, path, bitmap, depth, proof, kindPos);
        return canonical && top == root;
    }

    /// Folds from the leaf hash `h` up to the root: h = sha256(0x01 ‖ left ‖ right), h on the side
    /// given by the path bit. Non-zero siblings are read backwards from the kind byte at `kindPos`;
    /// a listed zero sibling is not canonical (the bitmap says zero) and fails the proof.
    function _fold(bytes32 h, bytes32 path, uint256 bitmap, uint256 depth, bytes memory proof, uint256 kindPos)
        private
        view
        returns (bool canonical, bytes32)
    {
        canonical = true;
        assembly ("memory-safe") {
            let m := mload(0x40) // 65-byte preimage scratch past the free memory pointer
            mstore8(m, 0x01)
            let p := add(add(proof, 32), kindPos)
            for { let i := depth } gt(i, 0) {} {
                i := sub(i, 1)
                let sibling := 0
                if and(shr(sub(255, i), bitmap), 1) {
                    p := sub(p, 32)
                    sibling := mload(p)
                    if iszero(sibling) {
                        canonical := 0
                        break
                    }
                }
                switch and(shr(sub(255, i), path), 1)
                case 0 {
                    mstore(add(m, 1), h)
                    mstore(add(m, 33), sibling)
                }
                default {
                    mstore(add(m, 1), sibling)
                    mstore(add(m, 33), h)
                }
                if iszero(staticcall(gas(), 0x02, m, 65, 0x00, 32)) { revert(0, 0) }
                h := mload(0x00)
            }
        }
        return (canonical, h);
    }

    /// sha256(tag ‖ a ‖ b), the 65-byte preimage of every leaf and internal node.
    function _hash(uint8 tag, bytes32 a, bytes32 b) private view returns (bytes32 r) {
        assembly ("memory-safe") {
            let m := mload(0x40) // scratch past the free memory pointer, not allocated
            mstore8(m, tag)
            mstore(add(m, 1), a)
            mstore(add(m, 33), b)
            if iszero(staticcall(gas(), 0x02, m, 65, 0x00, 32)) { revert(0, 0) }
            r := mload(0x00)
        }
    }

    /// The 32 bytes of `b` at byte offset `o` (callers have checked o + 32 <= b.length).
    function _word(bytes memory b, uint256 o) private pure returns (bytes32 w) {
        assembly ("memory-safe") {
            w := mload(add(add(b, 32), o))
        }
    }

    /// Number of set bits (SWAR: 2-, 4-, 8-, then 16-bit lane sums; a 16-bit lane holds up to 256).
    function _popcount(uint256 x) private pure returns (uint256) {
        unchecked {
            x -= (x >> 1) & 0x5555555555555555555555555555555555555555555555555555555555555555;
            x = (x & 0x3333333333333333333333333333333333333333333333333333333333333333)
                + ((x >> 2) & 0x3333333333333333333333333333333333333333333333333333333333333333);
            x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f;
            x = (x + (x >> 8)) & 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff;
            return (x * 0x0001000100010001000100010001000100010001000100010001000100010001) >> 240;
        }
    }
}
