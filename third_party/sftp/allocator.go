package sftp

import (
	"sync"
)

type allocator struct {
	sync.Mutex
	// map key is the request order
	used map[uint32][][]byte
}

// The pages no request uses wait in pools shared by every allocator: an
// idle session keeps none, and sessions that transfer in turn share them.
// They come in three sizes, so that a command or a 32 KiB write (most
// clients' size) does not hold a page of the largest packet.
const (
	smallPage = 4 << 10
	midPage   = 33 << 10 // a 32 KiB read or write and its header
)

var (
	smallPages = sync.Pool{New: func() any { return new([smallPage]byte) }}
	midPages   = sync.Pool{New: func() any { return new([midPage]byte) }}
	pages      = sync.Pool{New: func() any { return new([maxMsgLength]byte) }}
)

// pageSize is the size of the page newPage(n) returns.
func pageSize(n int) int {
	switch {
	case n <= smallPage:
		return smallPage
	case n <= midPage:
		return midPage
	}
	return maxMsgLength
}

// newPage returns a page of at least n bytes, at most maxMsgLength.
func newPage(n int) []byte {
	switch {
	case n <= smallPage:
		return smallPages.Get().(*[smallPage]byte)[:]
	case n <= midPage:
		return midPages.Get().(*[midPage]byte)[:]
	}
	return pages.Get().(*[maxMsgLength]byte)[:]
}

// freePage gives back a page from newPage.
func freePage(p []byte) {
	switch cap(p) {
	case smallPage:
		smallPages.Put((*[smallPage]byte)(p[:smallPage]))
	case midPage:
		midPages.Put((*[midPage]byte)(p[:midPage]))
	case maxMsgLength:
		pages.Put((*[maxMsgLength]byte)(p[:maxMsgLength]))
	}
}

func newAllocator() *allocator {
	return &allocator{
		used: make(map[uint32][][]byte),
	}
}

// GetPage returns a previously allocated and unused []byte or create a new one.
// The slice have a fixed size = maxMsgLength, this value is suitable for both
// receiving new packets and reading the files to serve
func (a *allocator) GetPage(requestOrderID uint32) []byte {
	return a.getPage(requestOrderID, maxMsgLength)
}

// getPage returns a page of at least n bytes for the request.
func (a *allocator) getPage(requestOrderID uint32, n int) []byte {
	result := newPage(n)

	a.Lock()
	defer a.Unlock()
	// put result in used pages
	a.used[requestOrderID] = append(a.used[requestOrderID], result)

	return result
}

// ReleasePages marks unused all pages in use for the given requestID
func (a *allocator) ReleasePages(requestOrderID uint32) {
	a.Lock()
	defer a.Unlock()

	for _, p := range a.used[requestOrderID] {
		freePage(p)
	}
	delete(a.used, requestOrderID)
}

// Free removes all the used and available pages.
// Call this method when the allocator is not needed anymore
func (a *allocator) Free() {
	a.Lock()
	defer a.Unlock()

	a.used = make(map[uint32][][]byte)
}

func (a *allocator) countUsedPages() int {
	a.Lock()
	defer a.Unlock()

	num := 0
	for _, p := range a.used {
		num += len(p)
	}
	return num
}

func (a *allocator) isRequestOrderIDUsed(requestOrderID uint32) bool {
	a.Lock()
	defer a.Unlock()

	_, ok := a.used[requestOrderID]
	return ok
}
