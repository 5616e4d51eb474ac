package com.example.ranna;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A Spring Boot application that serves ranna's API at {@code /v1/ws}, {@code /v1/spec}, {@code /v1/info} and
 * {@code /v1/exec} on its own port: the starter on the class path is all it takes.
 */
@SpringBootApplication
public class ExampleApplication {

    public static void main(String[] args) {
        SpringApplication.run(ExampleApplication.class, args);
    }
}
