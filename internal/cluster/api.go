package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// API calls gateway n's admin API (on its own loopback address, never
// through HAProxy) with a bearer token ("" for none) and a JSON body (nil
// for none), and returns the status and the decoded JSON answer (nil when
// it is not JSON).
func (c *Cluster) API(n int, method, path, token string, body any) (int, map[string]any, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.Gateways[n-1].Admin+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: c.TLS}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, err
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	return resp.StatusCode, m, nil
}

// AdminToken logs the first admin in to gateway n's admin API.
func (c *Cluster) AdminToken(n int) (string, error) {
	code, m, err := c.API(n, http.MethodPost, "/api/v1/login", "", map[string]string{"username": "admin", "password": c.AdminPassword})
	if err != nil {
		return "", err
	}
	tok, _ := m["token"].(string)
	if code != http.StatusOK || tok == "" {
		return "", fmt.Errorf("admin login on gateway %d: %d %v", n, code, m)
	}
	return tok, nil
}
