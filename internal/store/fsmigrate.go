package store

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/mugai-project/mugai/internal/fsutil"
)

// Earlier versions kept each item as a folder, items/<id>/, holding
// these two files.
const (
	oldOriginalFile = "original"
	oldItemFile     = "item.json"
)

// folderAside names an item folder set aside while it is migrated: the
// record takes the folder's name.
const folderAside = ".folder"

// migrateFolders moves the items earlier versions kept as folders to
// today's layout: the folder is set aside, its original renamed into
// place, then its record (the item is there again, whole), and once
// the folder is durable the folders go. A crash half way leaves the
// rest to the next NewFS, which finds the folder set aside. Every step
// that finds its file gone (done before, or by another process opening
// the same folder) goes on.
func (s *FS) migrateFolders() error {
	items := filepath.Join(s.dir, "items")
	ents, err := os.ReadDir(items)
	if err != nil {
		return err
	}
	var moved []string
	for _, e := range ents {
		id, aside := strings.CutSuffix(e.Name(), folderAside)
		if !e.IsDir() || !ValidID(id) {
			continue
		}
		folder := s.recordPath(id) + folderAside
		if !aside {
			if err := fsutil.RenameIfThere(s.recordPath(id), folder); err != nil {
				return err
			}
		}
		if err := fsutil.RenameIfThere(filepath.Join(folder, oldOriginalFile), s.originalPath(id)); err != nil {
			return err
		}
		if err := fsutil.RenameIfThere(filepath.Join(folder, oldItemFile), s.recordPath(id)); err != nil {
			return err
		}
		moved = append(moved, folder)
	}
	if len(moved) == 0 {
		return nil
	}
	if err := s.syncItems(); err != nil {
		return err
	}
	for _, folder := range moved {
		if err := os.RemoveAll(folder); err != nil {
			return err
		}
	}
	return nil
}
