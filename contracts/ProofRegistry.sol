// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// The "just deploy a contract on an L2" baseline of bench/proofs.bench.ts: what builders would
/// deploy instead of an app chain to record device proofs. It records one proof per (device,
/// window) and emits an event. `submitProof` checks nothing else (no signature, Merkle path,
/// radio or location check; the caller is trusted), which is the cheapest an EVM can do;
/// `submitSignedProof` adds the device's ECDSA signature (ecrecover against a registered device
/// address), the one check every depin-chain envelope gets.
contract ProofRegistry {
    /// keccak256(deviceId, window) => payload hash
    mapping(bytes32 => bytes32) public proofs;
    /// deviceId => the device key's Ethereum address (first come, first served; a real registry
    /// would need the manufacturer attestations of modules/devices)
    mapping(uint64 => address) public deviceKeys;

    event ProofSubmitted(uint64 indexed deviceId, uint64 indexed window, bytes32 payloadHash, address submitter);

    error AlreadySubmitted();
    error DeviceTaken();
    error BadSignature();

    function registerDevice(uint64 deviceId, address key) external {
        if (deviceKeys[deviceId] != address(0)) revert DeviceTaken();
        deviceKeys[deviceId] = key;
    }

    function submitProof(uint64 deviceId, uint64 window, bytes32 payloadHash) external {
        _record(deviceId, window, payloadHash);
    }

    /// The device signed keccak256(block.chainid, this, deviceId, window, payloadHash).
    function submitSignedProof(uint64 deviceId, uint64 window, bytes32 payloadHash, uint8 v, bytes32 r, bytes32 s) external {
        bytes32 digest = keccak256(abi.encode(block.chainid, address(this), deviceId, window, payloadHash));
        address signer = ecrecover(digest, v, r, s);
        if (signer == address(0) || signer != deviceKeys[deviceId]) revert BadSignature();
        _record(deviceId, window, payloadHash);
    }

    function _record(uint64 deviceId, uint64 window, bytes32 payloadHash) private {
        bytes32 k = keccak256(abi.encodePacked(deviceId, window));
        if (proofs[k] != bytes32(0)) revert AlreadySubmitted();
        proofs[k] = payloadHash;
        emit ProofSubmitted(deviceId, window, payloadHash, msg.sender);
    }
}
