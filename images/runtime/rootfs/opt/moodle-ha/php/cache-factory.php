<?php
// Moodle's cache factory, with the Redis store instances made as kept_redis_store
// (cache-redis-store.php: a connection each PHP-FPM worker keeps). Moodle reads a store's class
// from its plugin name (core_cache\config::load), so the class is swapped where the factory makes
// the instance a definition uses; the admin's screens and a store's purge use Moodle's own class.

namespace moodleha\cache;

class factory extends \core_cache\factory {
    #[\Override]
    public function create_store_from_config($name, array $details, \core_cache\definition $definition) {
        if (($details['class'] ?? '') === 'cachestore_redis') {
            $details['class'] = kept_redis_store::class;
        }
        return parent::create_store_from_config($name, $details, $definition);
    }
}
