// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {DepinAnchor} from "./DepinAnchor.sol";

/// @title Example consumer: pay out device rewards proven against an anchored checkpoint
/// @notice The chain keeps a CUMULATIVE reward record per record id (as Helium's lazy distributor
/// does): store key `keyPrefix ‖ deviceId`, value (44 bytes, big-endian)
///   u64 epoch ‖ u128 cumulativeAmount ‖ bytes20 beneficiary
/// `deviceId` is the record id as opaque bytes. depin-chain's rewards module keeps one record per
/// (device, owner) ledger: keyPrefix = "rewards/" ‖ 0x13, id = u64be device id ‖ 20 owner bytes,
/// epoch = the last epoch that credited the ledger, cumulative = earned − clawed back, beneficiary
/// = the owner (modules/rewards/anchor-record.ts). So a transferred device's earlier rewards stay
/// with the earlier owner, under another id.
/// Anyone may submit a record with its proof against any anchored checkpoint; the contract credits
/// the beneficiary with the part of the cumulative amount not yet paid for that record id.
///
/// Replay protection is keyed by canonical data only — (keccak256(deviceId), epoch), decoded from
/// the proven record — never by proof bytes or checkpoint number, so the same record proven again
/// (another checkpoint, another proof encoding) is refused. Paying the delta of a cumulative amount
/// also makes an older record worthless once a newer one was claimed.
/// A real deployment would transfer or mint an ERC-20; the example keeps a ledger.
contract RewardClaimVerifier {
    DepinAnchor public immutable anchor;
    bytes public keyPrefix;

    /// keccak256(abi.encode(keccak256(deviceId), epoch)) => claimed
    mapping(bytes32 claimId => bool) public processed;
    /// keccak256(deviceId) => cumulative amount already credited
    mapping(bytes32 deviceHash => uint256) public claimedTotal;
    mapping(address beneficiary => uint256) public balanceOf;

    event RewardClaimed(
        bytes32 indexed deviceHash,
        address indexed beneficiary,
        uint64 epoch,
        uint256 cumulativeAmount,
        uint256 amount,
        uint64 checkpointNumber
    );

    error EmptyDeviceId();
    error BadRecordLength(uint256 length);
    error ZeroBeneficiary();
    error InvalidProof();
    error AlreadyProcessed(bytes32 claimId);
    error NothingToClaim(uint256 cumulativeAmount, uint256 alreadyClaimed);

    constructor(DepinAnchor anchor_, bytes memory keyPrefix_) {
        anchor = anchor_;
        keyPrefix = keyPrefix_;
    }

    function claim(uint64 checkpointNumber, bytes calldata deviceId, bytes calldata record, bytes calldata proof)
        external
        returns (uint256 amount)
    {
        if (deviceId.length == 0) revert EmptyDeviceId();
        if (!anchor.verifyState(checkpointNumber, bytes.concat(keyPrefix, deviceId), record, proof)) {
            revert InvalidProof();
        }
        return _credit(keccak256(deviceId), record, checkpointNumber);
    }

    function _credit(bytes32 deviceHash, bytes calldata record, uint64 checkpointNumber)
        private
        returns (uint256 amount)
    {
        (uint64 epoch, uint256 cumulative, address beneficiary) = decodeRecord(record);
        bytes32 claimId = keccak256(abi.encode(deviceHash, epoch));
        if (processed[claimId]) revert AlreadyProcessed(claimId);
        uint256 already = claimedTotal[deviceHash];
        if (cumulative <= already) revert NothingToClaim(cumulative, already);

        processed[claimId] = true;
        claimedTotal[deviceHash] = cumulative;
        amount = cumulative - already;
        balanceOf[beneficiary] += amount;
        emit RewardClaimed(deviceHash, beneficiary, epoch, cumulative, amount, checkpointNumber);
    }

    /// Strict decoding: exactly 44 bytes, so a record has one encoding.
    function decodeRecord(bytes calldata record)
        public
        pure
        returns (uint64 epoch, uint256 cumulativeAmount, address beneficiary)
    {
        if (record.length != 44) revert BadRecordLength(record.length);
        epoch = uint64(bytes8(record[0:8]));
        cumulativeAmount = uint128(bytes16(record[8:24]));
        beneficiary = address(bytes20(record[24:44]));
        if (beneficiary == address(0)) revert ZeroBeneficiary();
    }
}
