//go:build !linux

package blob

// syncEachChunk is true where there is no syncfs: each chunk is synced
// before it is renamed into place.
const syncEachChunk = true

// syncFS has nothing left to do.
func syncFS(dir string) error { return nil }
