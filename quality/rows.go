package quality

import "slices"

// maxRowHashes bounds the duplicate check: 2^24 row hashes of 8 bytes,
// 128 MiB (and half as much again for a moment while it grows), of which
// at most 3/4, about 12.5 million distinct rows, are kept once full. A
// variable so that tests can lower it.
var maxRowHashes = 1 << 24

// rowSet counts the rows whose 64-bit hash it has seen before. It appends
// hashes as they come, which costs a sequential write, and once it holds
// as many as it may, or at the end, sorts them and drops the repeats,
// counting each as a duplicate: far cheaper than a hash table, whose every
// insert is a cache miss once it outgrows the cache. Past maxRowHashes it
// remembers no new rows but still recognises those it holds, so that the
// count of duplicates becomes a lower bound.
//
// Two distinct rows share a 64-bit hash with probability about n²/2⁶⁵
// for n rows: 4·10⁻⁶ for 12.5 million.
type rowSet struct {
	hashes []uint64
	dups   int64
	full   bool // sorted, distinct and no longer growing
}

// add records a row's hash.
func (s *rowSet) add(h uint64) {
	if s.full {
		if _, found := slices.BinarySearch(s.hashes, h); found {
			s.dups++
		}
		return
	}
	if len(s.hashes) == cap(s.hashes) {
		s.makeRoom()
		if s.full {
			s.add(h)
			return
		}
	}
	s.hashes = append(s.hashes, h)
}

// makeRoom doubles the list until it reaches maxRowHashes, then compacts
// it, and stops it growing once compacting leaves less than a quarter
// free.
func (s *rowSet) makeRoom() {
	switch c := cap(s.hashes); {
	case c == 0:
		s.hashes = make([]uint64, 0, min(1<<12, maxRowHashes))
	case c < maxRowHashes:
		grown := make([]uint64, len(s.hashes), min(2*c, maxRowHashes))
		copy(grown, s.hashes)
		s.hashes = grown
	default:
		s.compact()
		if 4*len(s.hashes) >= 3*c {
			s.full = true
		}
	}
}

// compact sorts the hashes and drops the repeats, counting them.
func (s *rowSet) compact() {
	sortHashes(s.hashes)
	n := len(s.hashes)
	s.hashes = slices.Compact(s.hashes)
	s.dups += int64(n - len(s.hashes))
}

// duplicates returns how many rows added repeated an earlier one.
func (s *rowSet) duplicates() int64 {
	if !s.full {
		s.compact()
	}
	return s.dups
}

// sortHashes sorts uniformly distributed hashes in place: one pass of
// in-place radix sort (American flag sort) on the top byte, then a
// comparison sort of each of the 256 buckets, which fit in the cache.
func sortHashes(a []uint64) {
	if len(a) < 1<<12 {
		slices.Sort(a)
		return
	}
	var count, start, next [256]int
	for _, h := range a {
		count[h>>56]++
	}
	sum := 0
	for b := range 256 {
		start[b], next[b] = sum, sum
		sum += count[b]
	}
	for b := range 256 {
		end := start[b] + count[b]
		for next[b] < end {
			h := a[next[b]]
			d := int(h >> 56)
			if d == b {
				next[b]++
				continue
			}
			// h belongs in bucket d: swap it there and look at what
			// comes back.
			a[next[b]], a[next[d]] = a[next[d]], h
			next[d]++
		}
	}
	for b := range 256 {
		slices.Sort(a[start[b] : start[b]+count[b]])
	}
}
