package fsutil

import (
	"os"
	"path/filepath"
	"strings"
)

// FolderAside names a folder MigrateFolders has set aside: <id>.folder.
const FolderAside = ".folder"

// MigrateFolders moves out of their folders the entries an earlier
// layout kept each in a folder dir/<id>/ (id as valid accepts): each
// folder is first set aside as dir/<id>.folder, so that a file of the
// entry may take its name, then move moves its contents from there; once
// every folder is moved and sync has made the new names durable, the
// folders set aside go. A crash half way leaves the rest to the next
// call, which finds the folders set aside: move must go on from a
// folder it moved in part (RenameIfThere). A folder set aside by another
// process meanwhile is not an error.
func MigrateFolders(dir string, valid func(id string) bool, move func(id, folder string) error, sync func() error) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var moved []string
	for _, e := range ents {
		id, aside := strings.CutSuffix(e.Name(), FolderAside)
		if !e.IsDir() || !valid(id) {
			continue
		}
		folder := filepath.Join(dir, id+FolderAside)
		if !aside {
			if err := RenameIfThere(filepath.Join(dir, id), folder); err != nil {
				return err
			}
		}
		if err := move(id, folder); err != nil {
			return err
		}
		moved = append(moved, folder)
	}
	if len(moved) == 0 {
		return nil
	}
	if err := sync(); err != nil {
		return err
	}
	for _, folder := range moved {
		if err := os.RemoveAll(folder); err != nil {
			return err
		}
	}
	return nil
}
