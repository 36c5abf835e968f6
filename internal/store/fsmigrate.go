package store

import (
	"path/filepath"

	"github.com/mugai-project/mugai/internal/fsutil"
)

// Earlier versions kept each item as a folder, items/<id>/, holding
// these two files.
const (
	oldOriginalFile = "original"
	oldItemFile     = "item.json"
)

// migrateFolders moves the items earlier versions kept as folders to
// today's layout (fsutil.MigrateFolders): the original is renamed into
// place, then the record (the item is there again, whole), and once the
// folder is durable the folders go. Every step that finds its file gone
// (done before, or by another process opening the same folder) goes on.
func (s *FS) migrateFolders() error {
	return fsutil.MigrateFolders(filepath.Join(s.dir, "items"), ValidID, func(id, folder string) error {
		if err := fsutil.RenameIfThere(filepath.Join(folder, oldOriginalFile), s.originalPath(id)); err != nil {
			return err
		}
		return fsutil.RenameIfThere(filepath.Join(folder, oldItemFile), s.recordPath(id))
	}, s.syncItems)
}
