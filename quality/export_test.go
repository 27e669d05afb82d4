package quality

// SetMaxRowHashes bounds the duplicate check's table for a test and
// returns a function that restores the bound.
func SetMaxRowHashes(n int) func() {
	old := maxRowHashes
	maxRowHashes = n
	return func() { maxRowHashes = old }
}

// SortHashes is sortHashes, for tests.
var SortHashes = sortHashes
