package emvqr

// CRC16 exposes the checksum to the external tests for known-answer checks.
var CRC16 = crc16
