package emvqr

// crc16 is CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no
// final xor), the checksum EMVCo MPM puts in ID 63. It runs over the UTF-8
// bytes, since those are what the QR symbol carries. Bitwise rather than
// table-driven: a payload is at most a few hundred bytes, and eight lines
// are easier to check against the spec than a 256-entry table.
func crc16(b []byte) uint16 {
	crc := uint16(0xFFFF)
	for _, c := range b {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}
