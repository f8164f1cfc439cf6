// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {SmtVerifier} from "./SmtVerifier.sol";

/// @title depin-chain state roots anchored on Ethereum
/// @notice Stores checkpoints of one Cosmos chain (its app hash = the root of its sparse Merkle
/// store at a height), each signed by validators holding MORE than 2/3 of the current validator
/// set's power, so anyone can prove facts about the chain's state against it (verifyState,
/// verifyAbsence) without trusting a single node.
///
/// The contract keeps only the hash of the current validator set; submitters pass the set itself.
/// The set changes only through a checkpoint signed by the current set whose nextValidatorSetHash
/// differs from its validatorSetHash. Signatures are over an EIP-712 digest binding the Ethereum
/// chain id, this contract's address and the Cosmos chain id (domain separation against replays).
contract DepinAnchor {
    /// A validator as the contract sees it: its Ethereum address (last 20 bytes of keccak256 of its
    /// uncompressed secp256k1 consensus key) and its voting power.
    struct Validator {
        address addr;
        uint64 power;
    }

    /// What validators sign (with the Cosmos chain id, which is fixed per contract).
    struct Checkpoint {
        uint64 number;
        uint64 height;
        bytes32 stateRoot;
        bytes32 validatorSetHash;
        bytes32 nextValidatorSetHash;
    }

    bytes32 public constant CHECKPOINT_TYPEHASH = keccak256(
        "Checkpoint(string cosmosChainId,uint64 number,uint64 height,bytes32 stateRoot,bytes32 validatorSetHash,bytes32 nextValidatorSetHash)"
    );
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant NAME_HASH = keccak256("DepinAnchor");
    bytes32 private constant VERSION_HASH = keccak256("1");
    /// secp256k1 order / 2: a larger s is the malleable twin of a low-S signature.
    uint256 private constant HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    string public cosmosChainId;
    bytes32 public immutable cosmosChainIdHash;
    bytes32 public currentValidatorSetHash;
    uint64 public lastCheckpointNumber;
    uint64 public lastHeight;
    mapping(uint64 number => Checkpoint) private _checkpoints;

    event CheckpointSubmitted(
        uint64 indexed number,
        uint64 height,
        bytes32 stateRoot,
        bytes32 validatorSetHash,
        bytes32 nextValidatorSetHash,
        uint256 signedPower,
        uint256 totalPower
    );
    /// Emitted at construction (checkpointNumber 0, previousSetHash 0) and at every set change.
    event ValidatorSetChanged(uint64 indexed checkpointNumber, bytes32 previousSetHash, bytes32 newSetHash);

    error EmptyCosmosChainId();
    error InvalidValidatorSet(uint256 index); // empty, zero address, zero power or not strictly ascending
    error CheckpointOutOfOrder(uint64 expected, uint64 got);
    error HeightNotIncreasing(uint64 last, uint64 got);
    error ValidatorSetHashMismatch(bytes32 current, bytes32 got); // checkpoint names another set
    error ValidatorSetMismatch(bytes32 current, bytes32 passed); // the passed set is not the current one
    error ZeroNextValidatorSetHash();
    error SignaturesLength(uint256 length);
    error SignatureHighS(uint256 index);
    error SignatureBadV(uint256 index);
    error SignatureInvalid(uint256 index);
    error SignersNotAscending(uint256 index, address signer); // also catches duplicates
    error SignerNotInValidatorSet(uint256 index, address signer);
    error InsufficientVotingPower(uint256 signed, uint256 total);
    error UnknownCheckpoint(uint64 number);

    constructor(string memory cosmosChainId_, Validator[] memory genesisValidators) {
        if (bytes(cosmosChainId_).length == 0) revert EmptyCosmosChainId();
        cosmosChainId = cosmosChainId_;
        cosmosChainIdHash = keccak256(bytes(cosmosChainId_));
        (bytes32 setHash,) = validatorSetHashAndPower(genesisValidators);
        currentValidatorSetHash = setHash;
        emit ValidatorSetChanged(0, bytes32(0), setHash);
    }

    /// Accepts checkpoint `cp` if it is the next one and carries signatures (65 bytes r ‖ s ‖ v each,
    /// concatenated, sorted by signer address strictly ascending) of more than 2/3 of the power of
    /// `validators`, which must be the current set. Anyone may submit: the signatures are the authority.
    function submitCheckpoint(Checkpoint calldata cp, Validator[] calldata validators, bytes calldata signatures)
        external
    {
        if (cp.number != lastCheckpointNumber + 1) revert CheckpointOutOfOrder(lastCheckpointNumber + 1, cp.number);
        if (cp.height <= lastHeight) revert HeightNotIncreasing(lastHeight, cp.height);
        bytes32 setHash = currentValidatorSetHash;
        if (cp.validatorSetHash != setHash) revert ValidatorSetHashMismatch(setHash, cp.validatorSetHash);
        if (cp.nextValidatorSetHash == bytes32(0)) revert ZeroNextValidatorSetHash();
        (bytes32 passedHash, uint256 totalPower) = validatorSetHashAndPower(validators);
        if (passedHash != setHash) revert ValidatorSetMismatch(setHash, passedHash);

        uint256 signedPower = _signedPower(checkpointDigest(cp), validators, signatures);
        if (signedPower * 3 <= totalPower * 2) revert InsufficientVotingPower(signedPower, totalPower);

        _checkpoints[cp.number] = cp;
        lastCheckpointNumber = cp.number;
        lastHeight = cp.height;
        emit CheckpointSubmitted(
            cp.number, cp.height, cp.stateRoot, setHash, cp.nextValidatorSetHash, signedPower, totalPower
        );
        if (cp.nextValidatorSetHash != setHash) {
            currentValidatorSetHash = cp.nextValidatorSetHash;
            emit ValidatorSetChanged(cp.number, setHash, cp.nextValidatorSetHash);
        }
    }

    /// True iff `key` maps to `value` in the state anchored by checkpoint `number`.
    function verifyState(uint64 number, bytes calldata key, bytes calldata value, bytes calldata proof)
        external
        view
        returns (bool)
    {
        return SmtVerifier.verifyMembership(stateRoot(number), key, value, proof);
    }

    /// True iff `key` is absent from the state anchored by checkpoint `number`.
    function verifyAbsence(uint64 number, bytes calldata key, bytes calldata proof) external view returns (bool) {
        return SmtVerifier.verifyNonMembership(stateRoot(number), key, proof);
    }

    function getCheckpoint(uint64 number) public view returns (Checkpoint memory) {
        if (number == 0 || number > lastCheckpointNumber) revert UnknownCheckpoint(number);
        return _checkpoints[number];
    }

    /// Reads only the root's slot: this is on every proof verification's path.
    function stateRoot(uint64 number) public view returns (bytes32) {
        if (number == 0 || number > lastCheckpointNumber) revert UnknownCheckpoint(number);
        return _checkpoints[number].stateRoot;
    }

    function domainSeparator() public view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this)));
    }

    /// The EIP-712 digest validators sign for `cp` on this contract.
    function checkpointDigest(Checkpoint memory cp) public view returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                CHECKPOINT_TYPEHASH,
                cosmosChainIdHash,
                cp.number,
                cp.height,
                cp.stateRoot,
                cp.validatorSetHash,
                cp.nextValidatorSetHash
            )
        );
        return keccak256(abi.encodePacked(hex"1901", domainSeparator(), structHash));
    }

    /// keccak256(abi.encode(validators)) of a canonical set (non-empty, addresses non-zero and
    /// strictly ascending, powers non-zero) and its total power; reverts on a non-canonical set.
    function validatorSetHashAndPower(Validator[] memory validators)
        public
        pure
        returns (bytes32 setHash, uint256 totalPower)
    {
        uint256 n = validators.length;
        if (n == 0) revert InvalidValidatorSet(0);
        address prev = address(0);
        for (uint256 i = 0; i < n; ++i) {
            Validator memory v = validators[i];
            if (v.addr <= prev || v.power == 0) revert InvalidValidatorSet(i);
            prev = v.addr;
            totalPower += v.power;
        }
        setHash = keccak256(abi.encode(validators));
    }

    /// Sum of the power of the validators that signed `digest`. Signers must be strictly
    /// ascending, so each validator counts at most once; the set is sorted the same way, so one
    /// forward walk over it finds every signer.
    function _signedPower(bytes32 digest, Validator[] calldata validators, bytes calldata signatures)
        private
        pure
        returns (uint256 power)
    {
        if (signatures.length % 65 != 0) revert SignaturesLength(signatures.length);
        uint256 count = signatures.length / 65;
        uint256 n = validators.length;
        uint256 j = 0;
        address prev = address(0);
        for (uint256 k = 0; k < count; ++k) {
            bytes32 r;
            bytes32 s;
            uint8 v;
            assembly ("memory-safe") {
                let o := add(signatures.offset, mul(k, 65))
                r := calldataload(o)
                s := calldataload(add(o, 32))
                v := byte(0, calldataload(add(o, 64)))
            }
            if (uint256(s) > HALF_ORDER) revert SignatureHighS(k);
            if (v != 27 && v != 28) revert SignatureBadV(k);
            address signer = ecrecover(digest, v, r, s);
            if (signer == address(0)) revert SignatureInvalid(k);
            if (signer <= prev) revert SignersNotAscending(k, signer);
            while (j < n && validators[j].addr < signer) ++j;
            if (j == n || validators[j].addr != signer) revert SignerNotInValidatorSet(k, signer);
            power += validators[j].power;
            ++j;
            prev = signer;
        }
    }
}
