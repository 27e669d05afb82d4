package blob

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncEachChunk is false: Sync flushes the whole file system at once.
const syncEachChunk = false

// syncFS flushes the file system that holds dir.
func syncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}
